"""The only place files are opened: rasters, vectors, results."""
