"""The warm engine: a resident process per home that has every module of a command imported
already, and runs each command in a fork of itself with the caller's arguments, directory,
environment and terminal. `wfexec engine start|stop|status` manage it; `cli/entry.py` sends a
command to it when one runs, and runs the command itself otherwise."""
