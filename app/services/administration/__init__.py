"""An institution's administration: members, settings, recovery code and audit log;
the network's institutions for the platform admin."""
