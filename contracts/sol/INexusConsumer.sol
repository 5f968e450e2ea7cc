// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

/// @notice What a contract implements to receive results from `NexusInbox`.
interface INexusConsumer {
    /// @param requestId the id `NexusInbox.request` returned
    /// @param status 0 ok, 1 handler error, 2 out of fuel, 3 out of memory
    /// @param output the exact output bytes (their keccak256 is the attested outputHash)
    function onNexusResult(uint256 requestId, uint8 status, bytes calldata output) external;
}
