import sys

from clinicrecords.cli import main

sys.exit(main())
