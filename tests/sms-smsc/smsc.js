// SMPP 3.4 SMSC simulator for the sms-worker integration tests, on the npm package
// `smpp` (server mode). It accepts bind_transceiver with one system_id/password,
// answers submit_sm and enquire_link, records every submit, and sends delivery
// receipts (deliver_sm, esm_class 4). A control port (HTTP, JSON) lets a test read
// what arrived and change the behaviour:
//   GET  /submits            every submit_sm: {seq, dest, source, coding, text,
//                            message_id, responded, status, session}
//   GET  /binds              how many binds succeeded
//   POST /mode {...}         drop_after: N  close the link when the Nth submit from now
//                                           arrives (it and later ones unanswered)
//                            stall: bool    take submits and never answer
//                            throttle: N    answer the next N with ESME_RTHROTTLED
//                            reject: N      answer the next N with ESME_RINVDSTADR
//                            receipts: "delivered" | "undelivered" | "none"
//                            receipt_delay_ms: N
//   POST /reset              forgets the submits, mode back to the defaults
// Usage: node smsc.js PORT CONTROL_PORT SYSTEM_ID PASSWORD
'use strict';

const http = require('http');
const smpp = require('smpp');

const [port, controlPort, systemId, password] = process.argv.slice(2);
if (!port || !controlPort || !systemId || !password) {
    console.error('usage: node smsc.js PORT CONTROL_PORT SYSTEM_ID PASSWORD');
    process.exit(2);
}

const DEFAULT_MODE = {drop_after: 0, stall: false, throttle: 0, reject: 0,
                      receipts: 'delivered', receipt_delay_ms: 50};
let mode = Object.assign({}, DEFAULT_MODE);
let submits = [];
let binds = 0;
let nextId = 1;
let sessionNo = 0;

function text(pdu) {
    let m = pdu.short_message;
    if (m && typeof m === 'object' && 'message' in m) m = m.message;
    if ((!m || m.length === 0) && pdu.message_payload) {
        m = pdu.message_payload;
        if (m && typeof m === 'object' && 'message' in m) m = m.message;
    }
    if (Buffer.isBuffer(m)) {
        m = pdu.data_coding === 8 ? Buffer.from(m).swap16().toString('utf16le') : m.toString();
    }
    return m == null ? '' : String(m);
}

function receipt(session, rec) {
    if (mode.receipts === 'none') return;
    const stat = mode.receipts === 'undelivered' ? 'UNDELIV' : 'DELIVRD';
    const state = stat === 'DELIVRD' ? 2 : 5;
    setTimeout(() => {
        if (session.closed) return;
        session.deliver_sm({
            source_addr: rec.dest,
            destination_addr: rec.source,
            esm_class: 4,
            short_message: 'id:' + rec.message_id + ' sub:001 dlvrd:001 submit date:2611250000 ' +
                'done date:2611250000 stat:' + stat + ' err:000 text:',
            receipted_message_id: rec.message_id,
            message_state: state,
        });
    }, mode.receipt_delay_ms);
}

const server = smpp.createServer({debug: false}, (session) => {
    const me = ++sessionNo;
    let bound = false;
    session.on('error', () => {});
    session.on('close', () => { session.closed = true; });
    session.on('bind_transceiver', (pdu) => {
        if (pdu.system_id !== systemId || pdu.password !== password) {
            session.send(pdu.response({command_status: smpp.ESME_RBINDFAIL}));
            session.close();
            return;
        }
        bound = true;
        binds++;
        session.send(pdu.response({system_id: 'SIMSMSC'}));
    });
    session.on('submit_sm', (pdu) => {
        const rec = {seq: pdu.sequence_number, dest: pdu.destination_addr,
                     source: pdu.source_addr, coding: pdu.data_coding, text: text(pdu),
                     message_id: '', responded: false, status: null, session: me,
                     at: Date.now()};
        submits.push(rec);
        if (session.dropped) return;  // read after the drop: never answered
        if (!bound) {
            session.send(pdu.response({command_status: smpp.ESME_RINVBNDSTS}));
            return;
        }
        if (mode.drop_after > 0 && --mode.drop_after === 0) {
            // The link drops with this submit unanswered; a graceful close, so every
            // answer written before it still reaches the ESME.
            session.dropped = true;
            session.close();
            return;
        }
        if (mode.stall) return;
        let status = 0;
        if (mode.throttle > 0) { mode.throttle--; status = smpp.ESME_RTHROTTLED; }
        else if (mode.reject > 0) { mode.reject--; status = smpp.ESME_RINVDSTADR; }
        rec.status = status;
        if (status === 0) rec.message_id = 'SIM' + (nextId++).toString(16).toUpperCase();
        session.send(pdu.response({command_status: status, message_id: rec.message_id}), () => {
            rec.responded = true;
        });
        if (status === 0) receipt(session, rec);
    });
    session.on('enquire_link', (pdu) => session.send(pdu.response()));
    session.on('unbind', (pdu) => { session.send(pdu.response()); session.close(); });
});
server.listen(Number(port), '127.0.0.1');

const control = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
        const json = (code, value) => {
            res.writeHead(code, {'Content-Type': 'application/json'});
            res.end(JSON.stringify(value));
        };
        if (req.method === 'GET' && req.url === '/submits') return json(200, submits);
        if (req.method === 'GET' && req.url === '/binds') return json(200, {binds: binds});
        if (req.method === 'POST' && req.url === '/mode') {
            try { Object.assign(mode, JSON.parse(body || '{}')); } catch (e) {
                return json(400, {error: String(e)});
            }
            return json(200, mode);
        }
        if (req.method === 'POST' && req.url === '/reset') {
            mode = Object.assign({}, DEFAULT_MODE);
            submits = [];
            return json(200, mode);
        }
        json(404, {error: 'not found'});
    });
});
control.listen(Number(controlPort), '127.0.0.1', () => console.log('smsc ready'));
process.on('SIGTERM', () => process.exit(0));
