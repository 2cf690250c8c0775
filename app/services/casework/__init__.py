"""What officers do with a case: the commands on an opened case, the inbox, and the
e-mail notices that something happened."""
