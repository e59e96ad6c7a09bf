"""Turn-taking (issue 15): which caller audio is speech, when a caller's turn is over, and whether speech over
the agent is an interruption. Pure per-call logic; the voice session wires it to the call."""
