"""One record at a time: the compiled policy's answer as plain data, and the reference interpreter."""
