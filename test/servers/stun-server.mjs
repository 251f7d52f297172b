// A STUN server (RFC 8489 Binding only) on loopback, for the WHEP server's `Link: rel="ice-server"`:
// it answers every Binding request with the sender's address (XOR-MAPPED-ADDRESS) and reports
// each one, so a test can see that a browser used the ICE server a WHEP answer named.
// Policy: Binding requests only; anything else is ignored; no authentication.

import { createSocket } from 'node:dgram';
import { bindUdp } from './http-kit.mjs';

const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const MAGIC_COOKIE = 0x2112a442;
const XOR_MAPPED_ADDRESS = 0x0020;
const HEADER_BYTES = 20;

/** A Binding success response to `request` for an IPv4 sender. @param {Buffer} request @param {import('node:dgram').RemoteInfo} from */
function bindingSuccess(request, from) {
  const response = Buffer.alloc(HEADER_BYTES + 12);
  response.writeUInt16BE(BINDING_SUCCESS, 0);
  response.writeUInt16BE(12, 2);
  response.writeUInt32BE(MAGIC_COOKIE, 4);
  request.copy(response, 8, 8, HEADER_BYTES); // the transaction ID
  response.writeUInt16BE(XOR_MAPPED_ADDRESS, 20);
  response.writeUInt16BE(8, 22);
  response.writeUInt8(0, 24);
  response.writeUInt8(0x01, 25); // IPv4
  response.writeUInt16BE(from.port ^ (MAGIC_COOKIE >>> 16), 26);
  const ip = from.address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
  response.writeUInt32BE((ip ^ MAGIC_COOKIE) >>> 0, 28);
  return response;
}

/**
 * Starts a STUN server on `host` (IPv4), a free port.
 * @param {string} host
 * @param {(from: string) => void} onBinding   called with `address:port` of each Binding request
 * @returns {Promise<{ url: string, close: () => void }>}
 */
export async function startStunServer(host, onBinding) {
  const socket = createSocket('udp4');
  socket.on('message', (message, from) => {
    if (message.length < HEADER_BYTES || message.readUInt16BE(0) !== BINDING_REQUEST) return;
    if (message.readUInt32BE(4) !== MAGIC_COOKIE) return;
    onBinding(`${from.address}:${from.port}`);
    socket.send(bindingSuccess(message, from), from.port, from.address);
  });
  const port = await bindUdp(socket, host);
  return {
    url: `stun:${host}:${port}`,
    close: () => socket.close(),
  };
}
