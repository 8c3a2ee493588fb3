"""Data out in bulk: the change log and the facts as tables (``wikimon export``) and the
change log of whole dumps on Dask (``wikimon cube``)."""
