"""Where revisions come from: the MediaWiki API (``api``, ``sync``) and XML exports
(``xmldump``, ``importer``); ``titles`` holds MediaWiki's title rules."""
