"""Exit statuses, each meaning one thing (spec §8), named once for every command."""

EXIT_OK = 0  # every record eligible or not applicable; clean; every case passed
EXIT_OPEN = 1  # some record pending or ineligible; warnings under --strict; a case failed
EXIT_INVALID = 2  # bad usage, an invalid record, unreadable input or output
EXIT_POLICY = 3  # a broken policy
EXIT_BUG = 4  # an error nobody foresaw: a bug, said in one line
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a run stopped with Ctrl-C
EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE: the reader went away (`| head -1`); nothing more to say
