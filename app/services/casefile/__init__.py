"""How a report is kept: its content encrypted under a data key, the key sealed to
its readers, attachments cleaned of metadata, deadlines, retention and labels."""
