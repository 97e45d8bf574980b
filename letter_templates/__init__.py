"""The letter templates (Word documents): installed with the program as package data."""
