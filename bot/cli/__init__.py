"""The command line: `newsbot ROLE` and the operator's commands (poll, digest, search, ...)."""
