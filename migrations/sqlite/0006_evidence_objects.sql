-- One stored scan may back several indicators; deleting a row checks whether others still use it.
CREATE INDEX evidence_files_object ON evidence_files(object_key);
