"""Staff accounts: addresses and passwords, one-time account links, signed-in
sessions, two-factor sign-in and who may do what."""
