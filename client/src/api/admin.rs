//! Admin calls to brokers and NameServers (PROTOCOL.md §13).
