"""Pure pandas / numpy analysis of EM tables: cell and connection filters, layers, pia-frame positions, the
combined unit table, adjacency and rate matrices, like-to-like statistics."""
