/* lg_sms: sms-worker driven alone at full speed, the way otp-svc's outbox drives it: SmsSend
 * requests in the common envelope, one frame each over a DEALER, many in flight, SmsAck
 * replies. It measures SMS/s end to end: from the first send until sms-worker's own counters
 * (MetricsGet: dvcid_sms_sent_total and dvcid_sms_dead_total) say every acknowledged message
 * was handed to the provider (`file`: written and fdatasync'd; `smpp`: submit_sm_resp OK),
 * and with --sink it checks the file provider's sink: each message of the run there once. */
#ifndef LG_SMS_H
#define LG_SMS_H

/* `dvcid-load sms --endpoint EP [--count N] [--inflight W] [--phone-prefix P]
 * [--timeout S] [--sink FILE] [--json]`: argv[0] is "sms". Returns the exit status: 0 when
 * every message was acknowledged once and handed over, 1 otherwise, 2 for bad usage. */
int lg_sms(int argc, char **argv);

#endif
