#include "gui/LoopbackDemo.h"

#include "gui/SavedHostStore.h"

using namespace Qt::Literals::StringLiterals;

namespace Gui {

LoopbackDemoSeed ensureLoopbackDemoHost(SavedHostStore &store, quint16 port)
{
    LoopbackDemoSeed seed;
    for (const SavedHost &h : store.hosts()) {
        if (h.folder.isEmpty() && h.name.compare(LoopbackDemoName, Qt::CaseInsensitive) == 0) {
            seed.id = h.id;
            return seed;
        }
    }
    SavedHost demo;
    demo.name = LoopbackDemoName.toString();
    demo.connection.computerName = u"127.0.0.1"_s;
    demo.connection.port = port;
    demo.connection.authentication = Wsman::AuthenticationMechanism::Basic;
    demo.connection.userName = Wsman::UserName::parse(LoopbackDemoUser).value();
    demo.sessionOption.noEncryption = true;
    demo.rememberPassword = false;
    seed.error = store.add(demo);
    seed.id = demo.id;
    seed.added = true;
    return seed;
}

} // namespace Gui
