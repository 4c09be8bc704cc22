"""DNS over dnspython, one concern per module: `tsig` (keys), `wire` (values and errors in
the project's terms), `query` (the one UDP query engine), `update` (RFC 2136 with
prerequisites), `propagation` (visible on every authoritative server), `transfer` (AXFR)
and `zones` (one DnsAdapter per managed zone, DnsZones choosing by name)."""
