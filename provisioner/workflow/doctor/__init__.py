"""`provisioner doctor`: checks the real setup — DNS updates and name servers, SSH and sudo
to every inventory host, the web and database servers' software, the repository server as
the web hosts see it, the ACME directory, SMTP — and says what to fix."""
