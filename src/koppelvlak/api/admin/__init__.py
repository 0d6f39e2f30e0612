"""The admin JSON API: a school board's decisions on its connections, for automation."""
