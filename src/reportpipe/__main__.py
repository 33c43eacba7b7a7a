import sys

from reportpipe.cli import main

sys.exit(main())
