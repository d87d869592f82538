-- The cameras an API key is bound to (NULL: bound to none; a camera it names is a label only).
ALTER TABLE api_keys ADD COLUMN cameras text[];
