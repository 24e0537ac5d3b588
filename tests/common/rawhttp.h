// SPDX-License-Identifier: MIT
// A raw HTTP/1.1 client for the tests: sends bytes exactly as given, reads responses while the event loop runs.
#pragma once

#include "wire/decode.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QTcpSocket>
#include <QTest>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace eltest {

using Json = nlohmann::json;

inline std::string gzip(const std::string& in)
{
    return el::gzipCompress(in);
}

struct Reply
{
    int status = 0;
    std::string head;
    std::string body;
    Json json() const { return Json::parse(body, nullptr, false); }
    std::string error() const
    {
        const Json j = json();
        return j.is_object() && j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>()
                                                                              : std::string();
    }
};

class RawClient
{
public:
    explicit RawClient(quint16 port)
    {
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        m_socket.waitForConnected(5000);
    }
    void send(const std::string& bytes)
    {
        m_socket.write(bytes.data(), static_cast<qint64>(bytes.size()));
        m_socket.flush();
    }
    bool read(Reply& reply, int timeoutMs = 10000)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < timeoutMs) {
            const size_t end = m_buffer.find("\r\n\r\n");
            if (end != std::string::npos) {
                const std::string head = m_buffer.substr(0, end);
                size_t len = 0;
                const size_t cl = head.find("Content-Length: ");
                if (cl != std::string::npos)
                    len = std::stoul(head.substr(cl + 16));
                if (head.rfind("HTTP/1.1 100 ", 0) == 0) {
                    m_buffer.erase(0, end + 4);
                    continue;
                }
                if (m_buffer.size() >= end + 4 + len) {
                    reply.head = head;
                    reply.status = std::stoi(head.substr(9, 3));
                    reply.body = m_buffer.substr(end + 4, len);
                    m_buffer.erase(0, end + 4 + len);
                    return true;
                }
            }
            QTest::qWait(5);
            m_buffer += m_socket.readAll().toStdString();
        }
        return false;
    }
    bool waitClosed(int timeoutMs)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < timeoutMs && m_socket.state() != QAbstractSocket::UnconnectedState) {
            QTest::qWait(10);
            m_buffer += m_socket.readAll().toStdString();
        }
        return m_socket.state() == QAbstractSocket::UnconnectedState;
    }
    bool isOpen() const { return m_socket.state() == QAbstractSocket::ConnectedState; }

private:
    QTcpSocket m_socket;
    std::string m_buffer;
};

inline std::string request(const std::string& method, const std::string& target, const std::string& body,
    const std::vector<std::string>& headers = {})
{
    std::string r = method + ' ' + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto& h : headers)
        r += h + "\r\n";
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return r;
}

/** One request on a new connection to 127.0.0.1:\a port, and its reply (status 0 when none came in 10 s). */
inline Reply callOnce(quint16 port, const std::string& method, const std::string& target, const std::string& body = {},
    const std::vector<std::string>& headers = {})
{
    RawClient c(port);
    c.send(request(method, target, body, headers));
    Reply r;
    if (!c.read(r, 10000))
        qWarning("no reply to %s %s", method.c_str(), target.c_str());
    return r;
}

inline std::string goodEvent(const std::string& name)
{
    return request("POST", "/batch/",
        R"({"api_key":"phc_k","batch":[{"event":")" + name + R"(","distinct_id":"u1","properties":{"run_id":"r"}}]})");
}

} // namespace eltest
