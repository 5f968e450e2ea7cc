pragma circom 2.1.0;

include "lib/sha256_bytes.circom";

// ~59k constraints: SHA-256 of 64 private bytes.
component main = Sha256Bytes(64);
