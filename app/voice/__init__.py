"""The live voice pipeline: audio, turn-taking, providers, the call session and its transports (issue 5)."""
