// SPDX-License-Identifier: MIT
#include "gui.h"

#include "mainwindow.h"
#include "pipeline/capture.h"
#include "uiutil.h"

#include <QApplication>
#include <QGuiApplication>
#include <QMessageBox>
#include <QStyle>
#include <QStyleFactory>
#include <QTimer>

namespace {

/** True when \a option ("--port") was given on the command line (as "--port N" or "--port=N"). */
bool optionGiven(const QString& option)
{
    const QStringList args = QCoreApplication::arguments();
    const QString single = option.mid(1); // "-port" is accepted by QCommandLineParser too
    for (const QString& a : args) {
        if (a == option || a.startsWith(option + u'=') || a == single || a.startsWith(single + u'='))
            return true;
    }
    return false;
}

} // namespace

int runGui(el::Capture* capture, el::SinkControl* sink, const QHostAddress& address, quint16 port,
    el::ui::MainWindow::CompareFunction compare)
{
    using namespace el::ui;
    initResources();
    QGuiApplication::setApplicationDisplayName(QStringLiteral("EventLens"));
    QGuiApplication::setDesktopFileName(QStringLiteral("io.github.eventlens.EventLens"));
    QApplication::setWindowIcon(appIcon("eventlens"));
    // The bare "Windows" style is what Qt falls back to without a desktop; Fusion reads better.
    if (QApplication::style()
        && QApplication::style()->name().compare(QLatin1String("windows"), Qt::CaseInsensitive) == 0)
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));

    const GuiSettings settings = GuiSettings::load();
    QHostAddress listenAddress = address;
    quint16 listenPort = port;
    if (!optionGiven(QStringLiteral("--bind"))) {
        QHostAddress saved;
        if (settings.bind == QLatin1String("localhost"))
            listenAddress = QHostAddress(QHostAddress::LocalHost);
        else if (saved.setAddress(settings.bind))
            listenAddress = saved;
    }
    if (!optionGiven(QStringLiteral("--port")))
        listenPort = static_cast<quint16>(settings.port);

    QString contractError;
    if (!optionGiven(QStringLiteral("--contract")) && !settings.contract.isEmpty()
        && settings.contract.toStdString() != capture->contractOrigin()) {
        std::string error;
        if (!capture->loadContract(settings.contract.toStdString(), error))
            contractError = QString::fromStdString(error);
    }

    MainWindow window(capture, settings);
    window.setSinkControl(sink);
    window.setCompareFunction(std::move(compare));
    window.show();
    window.startListening(listenAddress, listenPort);
    if (!contractError.isEmpty()) {
        QTimer::singleShot(0, &window, [&window, contractError] {
            auto* box = new QMessageBox(QMessageBox::Warning, QObject::tr("Saved contract not loaded"),
                QObject::tr("%1\n\nThe contract from the command line (or the default) is used instead.")
                    .arg(contractError),
                QMessageBox::Ok, &window);
            box->setAttribute(Qt::WA_DeleteOnClose);
            box->open();
        });
    }
    return QApplication::exec();
}
