"""What policy editors run besides check: lint, and the runner of a policy's test cases and their fixtures."""
