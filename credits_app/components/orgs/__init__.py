"""Organization UI pieces: members list, invite form, create-org dialog."""
