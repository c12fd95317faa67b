"""Search by meaning: passage vectors beside the index, fused with the literal search."""
