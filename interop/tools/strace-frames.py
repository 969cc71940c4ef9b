#!/usr/bin/env python3
"""Decode the RocketMQ remoting frames a process wrote and read, from an strace log.

    strace -f -qq -e trace=connect,close,read,write,writev,readv,recvfrom,sendto \
        -e signal=none -xx -s 4000000 -o trace.txt <command>
    interop/tools/strace-frames.py trace.txt [--errors] [--skip-code=N ...] [--all]

Prints one line per frame in syscall order: direction (>> written, << read), fd, header
encoding, request/response, code, opaque, remark and the header fields (extFields), so a failing
scenario shows which request got which response code and remark. --errors prints only responses
with a non-zero code, each after the request it answers (matched by fd and opaque), and requests
that never got a response; --skip-code=N leaves out responses with code N (e.g. 17,
TOPIC_NOT_EXIST, which a name server rightly answers before a topic is created, or 22,
QUERY_NOT_FOUND, a new group's offset); --all disables the 300-character truncation of the
header fields.
"""
import json
import re
import sys

CALL = re.compile(r'^(\d+)\s+(\w+)\((\d+),?\s*(.*)$')
RESUMED = re.compile(r'^(\d+)\s+<\.\.\. (\w+) resumed>\s*(.*)$')
HEX = re.compile(r'"((?:\\x[0-9a-f]{2})*)"')
RESULT = re.compile(r'=\s*(-?\d+)')
WRITES = {'write', 'writev', 'sendto'}
READS = {'read', 'readv', 'recvfrom'}


def calls(path):
    """Yields (name, fd, args_text, result) with unfinished/resumed pairs joined per pid."""
    pending = {}
    for line in open(path, errors='replace'):
        line = line.rstrip('\n')
        m = RESUMED.match(line)
        if m:
            pid, name, rest = m.groups()
            if pid in pending:
                pname, fd, head = pending.pop(pid)
                yield pname, fd, head + rest, rest
            continue
        m = CALL.match(line)
        if not m:
            continue
        pid, name, fd, rest = m.groups()
        if rest.endswith('<unfinished ...>'):
            pending[pid] = (name, int(fd), rest[:-len('<unfinished ...>')])
            continue
        yield name, int(fd), rest, rest


def payload(args, result):
    r = RESULT.findall(result)
    n = int(r[-1]) if r else -1
    data = bytearray()
    for s in HEX.findall(args):
        data += bytes.fromhex(s.replace('\\x', ''))
    if n >= 0:
        data = data[:n]
    return bytes(data), n


def decode_binary(h):
    code = int.from_bytes(h[0:2], 'big', signed=True)
    opaque = int.from_bytes(h[5:9], 'big', signed=True)
    flag = int.from_bytes(h[9:13], 'big')
    rlen = int.from_bytes(h[13:17], 'big')
    remark = h[17:17 + rlen].decode('utf-8', 'replace') if rlen else None
    i = 17 + rlen
    elen = int.from_bytes(h[i:i + 4], 'big')
    i += 4
    end = i + elen
    ext = {}
    while i + 2 <= end:
        kl = int.from_bytes(h[i:i + 2], 'big')
        k = h[i + 2:i + 2 + kl].decode('utf-8', 'replace')
        i += 2 + kl
        vl = int.from_bytes(h[i:i + 4], 'big')
        ext[k] = h[i + 4:i + 4 + vl].decode('utf-8', 'replace')
        i += 4 + vl
    return code, opaque, flag, remark, ext


def decode_json(h):
    try:
        j = json.loads(h.decode('utf-8', 'replace'))
    except ValueError:
        return None, None, 0, '<bad json header>', {}
    return j.get('code'), j.get('opaque'), j.get('flag', 0), j.get('remark'), j.get('extFields') or {}


def frames(buf):
    """Splits complete frames off buf; returns (frames, rest)."""
    out = []
    while len(buf) >= 8:
        total = int.from_bytes(buf[0:4], 'big')
        if total < 4 or total > 16 * 1024 * 1024 or buf[4] not in (0, 1):
            return out, None  # not a remoting stream
        if len(buf) < 4 + total:
            break
        st = buf[4]
        hlen = int.from_bytes(buf[5:8], 'big')
        header = buf[8:8 + hlen]
        body_len = total - 4 - hlen
        decoded = decode_json(header) if st == 0 else decode_binary(header)
        out.append(('JSON' if st == 0 else 'ROCKETMQ', body_len) + tuple(decoded))
        buf = buf[4 + total:]
    return out, buf


def describe(direction, fd, frame, limit):
    st, body_len, code, opaque, flag, remark, ext = frame
    kind = 'RESP' if (flag or 0) & 1 else ('ONEWAY' if (flag or 0) & 2 else 'REQ')
    fields = json.dumps(ext, separators=(',', ':'))
    if limit and len(fields) > limit:
        fields = fields[:limit] + '...'
    return (f'{direction} fd={fd} {st} {kind} code={code} opaque={opaque} body={body_len}B '
            f'remark={remark!r} ext={fields}')


def main():
    path = sys.argv[1]
    limit = None if '--all' in sys.argv else 300
    errors_only = '--errors' in sys.argv
    skip = {int(a.split('=', 1)[1]) for a in sys.argv if a.startswith('--skip-code=')}
    streams = {}  # (fd, direction) -> buffer, or None when the stream is not remoting
    open_requests = {}  # (fd, opaque) -> description of a request we wrote
    for name, fd, args, result in calls(path):
        if name in ('connect', 'close'):
            streams.pop((fd, '>>'), None)
            streams.pop((fd, '<<'), None)
            continue
        if name in WRITES:
            direction = '>>'
        elif name in READS:
            direction = '<<'
        else:
            continue
        data, n = payload(args, result)
        if n <= 0:
            continue
        key = (fd, direction)
        buf = streams.get(key, b'')
        if buf is None:
            continue
        got, rest = frames(buf + data)
        streams[key] = rest
        for frame in got:
            line = describe(direction, fd, frame, limit)
            flag, code, opaque = frame[4] or 0, frame[2], frame[3]
            if not errors_only:
                print(line)
            elif direction == '>>' and not flag & 3:
                open_requests[(fd, opaque)] = line
            elif direction == '<<' and flag & 1:
                request = open_requests.pop((fd, opaque), None)
                if code != 0 and code not in skip:
                    print(request or f'>> fd={fd} (request with opaque={opaque} not seen)')
                    print(line)
    if errors_only:
        for line in open_requests.values():
            print(line + '   [no response seen]')


if __name__ == '__main__':
    main()
