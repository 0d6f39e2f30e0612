"""Domain-free helpers: clock, crypto, safe XML, problems, pagination, mail."""
