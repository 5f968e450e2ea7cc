// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {NexusVerifier} from "./NexusVerifier.sol";
import {NexusResult, BatchProof, INexusErrors} from "./NexusTypes.sol";
import {INexusConsumer} from "./INexusConsumer.sol";
import {INexusZkVerifier} from "./INexusZkVerifier.sol";

/// @title NexusInbox
/// @notice Request -> result mailbox. A consumer contract calls `request`; the `Requested` event is
///         what the gateway's trigger service turns into an invocation (input = the `input` bytes,
///         verbatim); anyone (normally the gateway) then calls `fulfil` with the attested result and
///         the output, and the inbox verifies it and calls the consumer back exactly once.
/// @dev Functions are content-addressed: functionId = keccak256(abi.encode(mode, codeHash, zkVerifier)),
///      registered by anyone, never changed. The function's mode routes verification: threshold BLS
///      through `verifier`, Groth16 through the registered INexusZkVerifier adapter. A BLS function
///      may also be bound to one gateway function (`registerBoundFunction`, id =
///      keccak256(abi.encode(Mode.Bls, codeHash, address(0), nexusFunctionIdHash))): its requests
///      then accept only protocol-v2 results whose digest names that gateway function, so a result
///      of another function running the same code (other state) cannot answer them. Requests to an
///      unbound function accept v1 and v2 results of any gateway function running the code.
/// @dev Inherits INexusErrors so the verifier's named errors, bubbled up, decode with this ABI.
contract NexusInbox is INexusErrors {
    enum Mode {
        Unregistered,
        Bls,
        Groth16
    }

    enum State {
        None,
        Pending,
        Fulfilled
    }

    struct FunctionInfo {
        Mode mode;
        bytes32 codeHash;
        address zkVerifier;
        /// keccak256(utf8(gateway function id)) a result must name (protocol v2), or zero: any.
        bytes32 nexusFunctionIdHash;
    }

    struct Request {
        address consumer;
        uint64 callbackGasLimit;
        State state;
        bool callbackOk;
        uint8 status;
        bytes32 functionId;
        bytes32 inputHash;
        bytes32 resultDigest;
        bytes32 outputHash;
    }

    /// Upper bound on `callbackGasLimit`, so that a request can always be fulfilled in one block.
    uint64 public constant MAX_CALLBACK_GAS = 5_000_000;
    /// Gas kept back around the callback for the inbox's own bookkeeping after it returns.
    uint256 public constant CALLBACK_OVERHEAD = 10_000;
    /// Domain of the pseudo-digest that identifies a zk result (zk results have no BLS digest).
    bytes32 public constant ZK_DOMAIN = keccak256("nexus.zk-result.v1");

    NexusVerifier public immutable verifier;
    uint256 public requestCount;
    mapping(bytes32 functionId => FunctionInfo) public functions;
    mapping(uint256 requestId => Request) public requests;
    /// Replay guard: an attested result fulfils at most one request.
    mapping(bytes32 resultDigest => uint256 requestId) public fulfilledBy;

    event FunctionRegistered(bytes32 indexed functionId, Mode mode, bytes32 codeHash, address zkVerifier);
    event FunctionBound(bytes32 indexed functionId, bytes32 indexed nexusFunctionIdHash);
    event Requested(
        uint256 indexed requestId,
        bytes32 indexed functionId,
        address indexed consumer,
        Mode mode,
        bytes32 codeHash,
        uint64 callbackGasLimit,
        bytes32 inputHash,
        bytes input,
        bytes32 nexusFunctionIdHash
    );
    event Fulfilled(
        uint256 indexed requestId, bytes32 indexed resultDigest, uint8 status, bool callbackOk, bytes output
    );

    error InvalidFunction();
    error UnknownFunction(bytes32 functionId);
    error UnknownRequest(uint256 requestId);
    error AlreadyFulfilled(uint256 requestId);
    error ResultAlreadyUsed(bytes32 resultDigest, uint256 requestId);
    error WrongMode(Mode mode);
    error WrongCodeHash(bytes32 codeHash);
    /// The result names another gateway function than the one the request's function is bound to.
    error WrongFunction(bytes32 nexusFunctionIdHash);
    error WrongInput(bytes32 inputHash);
    error OutputMismatch(bytes32 outputHash);
    error InvalidProof();
    error CallbackGasTooHigh(uint64 callbackGasLimit);
    error InsufficientGasForCallback(uint256 needed, uint256 left);

    constructor(NexusVerifier verifier_) {
        verifier = verifier_;
    }

    /// @notice Registers (idempotently) a function and returns its content-addressed id.
    function registerFunction(Mode mode, bytes32 codeHash, address zkVerifier) external returns (bytes32 functionId) {
        if (mode == Mode.Bls ? zkVerifier != address(0) : (mode != Mode.Groth16 || zkVerifier.code.length == 0)) {
            revert InvalidFunction();
        }
        functionId = keccak256(abi.encode(mode, codeHash, zkVerifier));
        if (functions[functionId].mode == Mode.Unregistered) {
            functions[functionId] = FunctionInfo(mode, codeHash, zkVerifier, bytes32(0));
            emit FunctionRegistered(functionId, mode, codeHash, zkVerifier);
        }
    }

    /// @notice Registers (idempotently) a BLS function bound to one gateway function: only
    ///         protocol-v2 results naming `nexusFunctionIdHash` = keccak256(utf8(id)) fulfil its requests.
    function registerBoundFunction(bytes32 codeHash, bytes32 nexusFunctionIdHash) external returns (bytes32 functionId) {
        if (nexusFunctionIdHash == bytes32(0)) revert InvalidFunction();
        functionId = keccak256(abi.encode(Mode.Bls, codeHash, address(0), nexusFunctionIdHash));
        if (functions[functionId].mode == Mode.Unregistered) {
            functions[functionId] = FunctionInfo(Mode.Bls, codeHash, address(0), nexusFunctionIdHash);
            emit FunctionRegistered(functionId, Mode.Bls, codeHash, address(0));
            emit FunctionBound(functionId, nexusFunctionIdHash);
        }
    }

    /// @notice Asks the network to run `functionId` on `input`; the caller gets `onNexusResult`.
    function request(bytes32 functionId, bytes calldata input, uint64 callbackGasLimit)
        external
        returns (uint256 requestId)
    {
        FunctionInfo storage f = functions[functionId];
        if (f.mode == Mode.Unregistered) revert UnknownFunction(functionId);
        if (callbackGasLimit > MAX_CALLBACK_GAS) revert CallbackGasTooHigh(callbackGasLimit);
        requestId = ++requestCount;
        bytes32 inputHash = keccak256(input);
        Request storage r = requests[requestId];
        r.consumer = msg.sender;
        r.callbackGasLimit = callbackGasLimit;
        r.state = State.Pending;
        r.functionId = functionId;
        r.inputHash = inputHash;
        emit Requested(
            requestId, functionId, msg.sender, f.mode, f.codeHash, callbackGasLimit, inputHash, input, f.nexusFunctionIdHash
        );
    }

    /// @notice Delivers a result. `attestation` is the 128-byte EIP-2537 group signature for a BLS
    ///         function, or abi.encode(bytes input, bytes proof) for a Groth16 function, whose
    ///         adapter decides what input/output/proof encodings mean (see NexusGroth16Adapter).
    ///         For Groth16 only `inputHash`, `outputHash` and `status` (must be 0) of `result` are read.
    function fulfil(uint256 requestId, NexusResult calldata result, bytes calldata output, bytes calldata attestation)
        external
    {
        (Request storage r, FunctionInfo storage f) = _pending(requestId);
        _checkResult(r, f, result, output);
        bytes32 d;
        if (f.mode == Mode.Bls) {
            d = verifier.verify(result, attestation);
        } else {
            // Groth16: attestation = abi.encode(bytes input, bytes proof); the input is re-sent
            // because the inbox keeps only its hash.
            (bytes memory input, bytes memory proof) = abi.decode(attestation, (bytes, bytes));
            if (keccak256(input) != r.inputHash) revert WrongInput(keccak256(input));
            if (result.status != 0) revert InvalidProof();
            if (!INexusZkVerifier(f.zkVerifier).verifyZk(input, output, proof)) revert InvalidProof();
            // zk results are not signed; identify them by what the proof binds plus the request.
            d = keccak256(abi.encode(ZK_DOMAIN, block.chainid, address(this), requestId, result.outputHash));
        }
        _deliver(requestId, r, d, result.status, output);
    }

    /// @notice Delivers a BLS result whose digest is in a batch root already stored in `verifier`.
    function fulfilInBatch(uint256 requestId, NexusResult calldata result, bytes calldata output, BatchProof calldata proof)
        external
    {
        (Request storage r, FunctionInfo storage f) = _pending(requestId);
        if (f.mode != Mode.Bls) revert WrongMode(f.mode);
        _checkResult(r, f, result, output);
        bytes32 d = verifier.verifyInBatch(result, proof);
        _deliver(requestId, r, d, result.status, output);
    }

    function _pending(uint256 requestId) private view returns (Request storage r, FunctionInfo storage f) {
        r = requests[requestId];
        if (r.state != State.Pending) {
            if (r.state == State.None) revert UnknownRequest(requestId);
            revert AlreadyFulfilled(requestId);
        }
        f = functions[r.functionId];
    }

    function _checkResult(Request storage r, FunctionInfo storage f, NexusResult calldata result, bytes calldata output)
        private
        view
    {
        if (result.inputHash != r.inputHash) revert WrongInput(result.inputHash);
        if (keccak256(output) != result.outputHash) revert OutputMismatch(result.outputHash);
        if (f.mode == Mode.Bls) {
            if (result.chainId != block.chainid) revert WrongChain(result.chainId);
            if (result.verifier != address(verifier)) revert WrongVerifier(result.verifier);
            if (result.codeHash != f.codeHash) revert WrongCodeHash(result.codeHash);
            bytes32 bound = f.nexusFunctionIdHash;
            if (bound != bytes32(0) && result.functionIdHash != bound) revert WrongFunction(result.functionIdHash);
        }
    }

    function _deliver(uint256 requestId, Request storage r, bytes32 d, uint8 status, bytes calldata output) private {
        uint256 previous = fulfilledBy[d];
        if (previous != 0) revert ResultAlreadyUsed(d, previous);
        fulfilledBy[d] = requestId;
        // Effects before the callback: a re-entering consumer sees the request as fulfilled.
        r.state = State.Fulfilled;
        r.status = status;
        r.resultDigest = d;
        r.outputHash = keccak256(output);

        // The callback must get its full gas limit, or a relayer could make it fail on purpose
        // (EIP-150 forwards at most 63/64 of what is left).
        uint256 limit = r.callbackGasLimit;
        uint256 needed = limit + limit / 63 + CALLBACK_OVERHEAD;
        if (gasleft() < needed) revert InsufficientGasForCallback(needed, gasleft());
        bytes memory data = abi.encodeCall(INexusConsumer.onNexusResult, (requestId, status, output));
        address consumer = r.consumer;
        bool ok;
        assembly ("memory-safe") {
            // No return data is copied: a consumer cannot grief the inbox with a huge revert reason.
            ok := call(limit, consumer, 0, add(data, 32), mload(data), 0, 0)
        }
        r.callbackOk = ok;
        emit Fulfilled(requestId, d, status, ok, output);
    }
}
