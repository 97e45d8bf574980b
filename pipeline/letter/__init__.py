"""What a letter says: plain words, the context each template is given, pupils' names."""
