/**
 * The small part of `smpp` (farhadi/node-smpp 0.5.1, no bundled types) that src/tsm/ota and the
 * fleet's SMSC simulator use. PDU fields are the SMPP 3.4 parameter names (SMPP 3.4 §4).
 */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';

  /** A decoded `short_message`: a Buffer as sent, or split into UDH elements and the rest when UDHI is set. */
  export type ShortMessage = Buffer | string | { udh?: Buffer[]; message: Buffer | string };

  /** One PDU: header fields, then the command's parameters and TLVs by name. */
  export interface Pdu {
    command: string;
    command_id: number;
    command_status: number;
    sequence_number: number;
    system_id?: string;
    password?: string;
    message_id?: string;
    source_addr?: string;
    destination_addr?: string;
    esm_class?: number;
    protocol_id?: number;
    data_coding?: number;
    registered_delivery?: number;
    short_message?: ShortMessage;
    receipted_message_id?: string;
    message_state?: number;
    isResponse(): boolean;
    response(options?: PduOptions): Pdu;
  }

  /** Parameters for a PDU to send. */
  export interface PduOptions {
    command_status?: number;
    sequence_number?: number;
    system_id?: string;
    password?: string;
    system_type?: string;
    interface_version?: number;
    message_id?: string;
    service_type?: string;
    source_addr_ton?: number;
    source_addr_npi?: number;
    source_addr?: string;
    dest_addr_ton?: number;
    dest_addr_npi?: number;
    destination_addr?: string;
    esm_class?: number;
    protocol_id?: number;
    data_coding?: number;
    registered_delivery?: number;
    short_message?: Buffer | string;
    receipted_message_id?: string;
    message_state?: number;
  }

  export type ResponseCallback = (pdu: Pdu) => void;

  /** One SMPP session over a socket (client side from connect(), server side in a Server). */
  export class Session extends EventEmitter {
    socket: Socket;
    send(pdu: PDU, responseCallback?: ResponseCallback): boolean;
    bind_transceiver(options: PduOptions, responseCallback?: ResponseCallback): boolean;
    submit_sm(options: PduOptions, responseCallback?: ResponseCallback): boolean;
    deliver_sm(options: PduOptions, responseCallback?: ResponseCallback): boolean;
    enquire_link(options: PduOptions, responseCallback?: ResponseCallback): boolean;
    unbind(options: PduOptions, responseCallback?: ResponseCallback): boolean;
    pause(): void;
    resume(): void;
    close(callback?: () => void): void;
    destroy(callback?: () => void): void;
  }

  export class PDU {
    constructor(command: string, options?: PduOptions);
  }

  export class Server extends NetServer {
    sessions: Session[];
  }

  export interface ConnectOptions {
    host: string;
    port: number;
    auto_enquire_link_period?: number;
  }

  interface Smpp {
    connect(options: ConnectOptions, listener?: () => void): Session;
    createServer(options: Record<string, never>, listener: (session: Session) => void): Server;
    PDU: typeof PDU;
  }
  const smpp: Smpp;
  export default smpp;
}
