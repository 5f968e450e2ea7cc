// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {NexusInbox} from "../../contracts/sol/NexusInbox.sol";
import {INexusConsumer} from "../../contracts/sol/INexusConsumer.sol";

/// @title NexusConsumerExample
/// @notice The smallest useful Nexus consumer: asks one registered function a question and keeps
///         the verified answer. The inbox has already checked the attestation (or the zk proof)
///         before `onNexusResult` runs, so the only check left here is who is calling.
contract NexusConsumerExample is INexusConsumer {
    NexusInbox public immutable inbox;
    bytes32 public immutable functionId;
    uint64 public constant CALLBACK_GAS = 200_000;

    mapping(uint256 requestId => bytes output) public answers;
    mapping(uint256 requestId => uint8 status) public statuses;
    uint256 public answered;

    event Asked(uint256 indexed requestId, bytes input);
    event Answered(uint256 indexed requestId, uint8 status, bytes output);

    error NotInbox(address caller);

    constructor(NexusInbox inbox_, bytes32 functionId_) {
        inbox = inbox_;
        functionId = functionId_;
    }

    /// @notice Sends `input` to the function; the answer arrives later in `onNexusResult`.
    function ask(bytes calldata input) external returns (uint256 requestId) {
        requestId = inbox.request(functionId, input, CALLBACK_GAS);
        emit Asked(requestId, input);
    }

    function onNexusResult(uint256 requestId, uint8 status, bytes calldata output) external {
        if (msg.sender != address(inbox)) revert NotInbox(msg.sender);
        answers[requestId] = output;
        statuses[requestId] = status;
        answered++;
        emit Answered(requestId, status, output);
    }
}
