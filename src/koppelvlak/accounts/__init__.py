"""Web accounts per board: admin, DPO and viewer logins, lock-out and the admin audit trail."""
