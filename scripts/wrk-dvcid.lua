-- wrk-dvcid.lua: registration traffic for wrk (issue 15), as an outside load tester sends it,
-- against a stack in test mode (otp.test_phone_prefix, otp.test_code, captcha.test_answer:
-- scripts/bench-stack.sh's config). Every registration start has a body of its own (a new
-- ID number, birth date and test number); the answers tell the script what to send next.
--   wrk -t1 -c64 -d8s -s scripts/wrk-dvcid.lua http://127.0.0.1:PORT -- MODE [CODE [ANSWER
--       [PREFIX [SEED [WRONG]]]]]
-- MODE: start  registration starts only (201);
--       mix    starts, and each registration started gets its right code (200 otp_verified);
--       verify WRONG wrong codes (400 otp_invalid) then the right one per start, as
--              dvcid-load --flow wrong-code --wrong WRONG (verifies are WRONG+1 of WRONG+2).
-- CODE: otp.test_code (246810); ANSWER: captcha.test_answer (BENCH); PREFIX: the test
-- numbers, 0 and 3 digits (030: +8430); SEED: where the identities start (default: from the
-- clock); WRONG: 20.
-- wrk's Lua cannot tell which connection an answer came on, so each request carries its
-- purpose and registration in X-Request-Id, which the gateway echoes; a registration is in
-- flight on at most one connection at a time, so its codes arrive in order.
-- At the end one line "wrk-dvcid {json}" gives the counts (tests/integration/test_wrk.py,
-- scripts/bench.sh read it): requests by purpose, answers that were not the expected ones.

local mode, code, answer, prefix, seed, wrong_per = "start", "246810", "BENCH", "030", nil, 20
local threads = {}

-- Per thread (each wrk thread has its own Lua state): counters, then the queue of
-- registrations that have a code to send next.
sent_start, ok_start, ok_wrong, ok_verify, unexpected, run_mode = 0, 0, 0, 0, 0, nil
local queue, head, tail = {}, 1, 0
local n, base = 0, 0

function setup(thread)
    thread:set("tid", #threads)
    table.insert(threads, thread)
end

function init(args)
    mode = args[1] or mode
    code = args[2] or code
    answer = args[3] or answer
    prefix = args[4] or prefix
    seed = tonumber(args[5]) or os.time()
    wrong_per = tonumber(args[6]) or wrong_per
    if mode ~= "start" and mode ~= "mix" and mode ~= "verify" then
        error("wrk-dvcid.lua: mode " .. tostring(mode) .. ": start, mix or verify")
    end
    run_mode = mode
    if mode ~= "verify" then
        wrong_per = 0
    end
    -- Threads and runs (each a new seed) start far apart in the 4.8e9 identities.
    base = (seed * 2000003 + (tid or 0) * 100000007) % 4800000000
end

local function push(rid, wrong_left)
    tail = tail + 1
    queue[tail] = {rid, wrong_left}
end

local function pop()
    if head > tail then
        return nil
    end
    local e = queue[head]
    queue[head] = nil
    head = head + 1
    return e
end

-- A wrong code: the test code with its last digit changed.
local function wrong_code()
    local last = tonumber(code:sub(-1)) or 0
    return code:sub(1, -2) .. tostring((last + 1) % 10)
end

local json_headers = {["Content-Type"] = "application/json"}

local function post(path, body, tag)
    json_headers["X-Request-Id"] = tag
    return wrk.format("POST", path, json_headers, body)
end

-- The k-th identity: a 12-digit CCCD (province 001-096, born 1950-1999, a 6-digit tail),
-- its birth date (the year must match the number's) and a test number under the prefix.
local function start_body(k)
    local province = 1 + k % 96
    local yy = 50 + math.floor(k / 96) % 50
    local tail6 = math.floor(k / 4800) % 1000000
    local id = string.format("%03d0%02d%06d", province, yy, tail6)
    local dob = string.format("19%02d-%02d-%02d", yy, 1 + tail6 % 12, 1 + math.floor(tail6 / 12) % 28)
    local digits = 10 - #prefix
    local phone = prefix .. string.format("%0" .. digits .. "d", (k * 7919) % (10 ^ digits))
    local captcha = string.format("%016x%016x", k % 2 ^ 31, (k * 31) % 2 ^ 31)
    return '{"id_number":"' .. id .. '","full_name":"Nguyễn Văn An","date_of_birth":"' .. dob ..
               '","phone":"' .. phone .. '","captcha_id":"' .. captcha ..
               '","captcha_answer":"' .. answer .. '"}'
end

function request()
    local e = pop()
    if e then
        local rid, left = e[1], e[2]
        local path = "/v1/registrations/" .. rid .. "/otp/verify"
        if left > 0 then
            return post(path, '{"code":"' .. wrong_code() .. '"}', "w" .. (left - 1) .. "-" .. rid)
        end
        return post(path, '{"code":"' .. code .. '"}', "v-" .. rid)
    end
    n = n + 1
    sent_start = sent_start + 1
    return post("/v1/registrations", start_body(base + n), "s-" .. n)
end

function response(status, headers, body)
    local tag = headers["X-Request-Id"] or headers["x-request-id"] or ""
    local kind = tag:sub(1, 1)
    if kind == "s" then
        local rid = status == 201 and body:match('"registration_id":"([%w_-]+)"')
        if not rid then
            unexpected = unexpected + 1
            return
        end
        ok_start = ok_start + 1
        if mode ~= "start" then
            push(rid, wrong_per)
        end
    elseif kind == "w" then
        local left, rid = tag:match("^w(%d+)-(.+)$")
        if status == 400 and body:find('"otp_invalid"', 1, true) and rid then
            ok_wrong = ok_wrong + 1
            push(rid, tonumber(left))
        else
            unexpected = unexpected + 1
        end
    elseif kind == "v" and status == 200 and body:find('"otp_verified"', 1, true) then
        ok_verify = ok_verify + 1
    else
        unexpected = unexpected + 1
    end
end

function done(summary, latency, requests)
    local c = {sent_start = 0, ok_start = 0, ok_wrong = 0, ok_verify = 0, unexpected = 0}
    for _, t in ipairs(threads) do
        for k, _ in pairs(c) do
            c[k] = c[k] + (t:get(k) or 0)
        end
    end
    local mode = threads[1] and threads[1]:get("run_mode") or "?"
    local e = summary.errors
    local secs = summary.duration / 1e6
    io.write(string.format('wrk-dvcid {"mode":"%s","seconds":%.3f,"requests":%d,' ..
                               '"rate":%.1f,"errors":{"connect":%d,"read":%d,"write":%d,' ..
                               '"status":%d,"timeout":%d},"sent_start":%d,"ok_start":%d,' ..
                               '"ok_wrong":%d,"ok_verify":%d,"unexpected":%d,' ..
                               '"latency_ms":{"p50":%.3f,"p99":%.3f,"max":%.3f}}\n',
                           mode, secs, summary.requests, summary.requests / secs, e.connect, e.read,
                           e.write, e.status, e.timeout, c.sent_start, c.ok_start, c.ok_wrong,
                           c.ok_verify, c.unexpected, latency:percentile(50) / 1000,
                           latency:percentile(99) / 1000, latency.max / 1000))
end
