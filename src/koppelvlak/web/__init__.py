"""School-facing web pages: the admin and DPO UI, guardian consent pages and the public register."""
