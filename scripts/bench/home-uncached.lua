-- Every request asks for the commune's page with a query no other request had, so none is
-- answered from the kept copies: the cost of rendering the page from the database.
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/units/27937?r=" .. math.random(1, 1000000000) .. "-" .. n)
end
