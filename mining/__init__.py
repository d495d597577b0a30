"""mining: from raw bibliographic and patent exports to the tables of a national AI competitiveness index."""

__version__ = "0.1.0"
