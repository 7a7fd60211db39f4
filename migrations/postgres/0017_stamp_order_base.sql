-- The address an order's QR codes carry (this installation's public URL when the order was
-- placed), so an order interrupted by a restart is made again with the same links.
ALTER TABLE stamp_orders ADD COLUMN base_url TEXT NOT NULL DEFAULT '';
