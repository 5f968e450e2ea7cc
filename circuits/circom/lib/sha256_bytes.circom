pragma circom 2.1.0;

include "circomlib/circuits/sha256/sha256.circom";
include "circomlib/circuits/bitify.circom";

// SHA-256 of `n` private bytes. The 256-bit digest is exposed as two 128-bit halves (big-endian),
// because a field element holds only 253 bits and few public signals keep the verifier small.
template Sha256Bytes(n) {
    signal input bytes[n];
    signal output hi;
    signal output lo;

    component toBits[n];
    component sha = Sha256(n * 8);
    for (var i = 0; i < n; i++) {
        toBits[i] = Num2Bits(8);
        toBits[i].in <== bytes[i];
        for (var j = 0; j < 8; j++) {
            // circomlib's Sha256 takes bits most-significant first.
            sha.in[i * 8 + j] <== toBits[i].out[7 - j];
        }
    }

    component h = Bits2Num(128);
    component l = Bits2Num(128);
    for (var k = 0; k < 128; k++) {
        h.in[k] <== sha.out[127 - k];
        l.in[k] <== sha.out[255 - k];
    }
    hi <== h.out;
    lo <== l.out;
}
