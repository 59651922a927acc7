package server

// Connect is connect for the external tests (package server_test).
var Connect = connect
