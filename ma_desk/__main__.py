from ma_desk.cli import main

raise SystemExit(main())
