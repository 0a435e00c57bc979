package parley.interop;

import java.net.InetAddress;
import java.net.UnknownHostException;

import javax.net.ssl.X509TrustManager;

import org.igniterealtime.smack.inttest.XmppConnectionDescriptor;
import org.igniterealtime.smack.inttest.XmppConnectionManager;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;

import eu.geekplace.javapinning.java7.Java7Pinning;

/**
 * Points sinttest's connections at the server under test: a "tcp" connection descriptor that sets the
 * host address and port (sinttest has no port setting) and trusts only the pinned certificate.
 *
 * The pin must be the connection's own trust manager: sinttest's serviceTlsPin becomes an
 * SslContextFactory whose SSLContext Smack initialises again with the default trust managers, so on
 * its own it has no effect on the XMPP stream.
 */
final class ParleyConnection {
  /** sinttest's other built-in descriptors (modular, WebSocket): they would dial the default port. */
  private static final String[] OTHER_DESCRIPTORS = {
    "modular", "modular-nocompress", "modular-websocket-okhttp", "modular-websocket-java11",
  };

  static final String NICKNAME = "tcp";

  private ParleyConnection() {}

  static void install(LauncherSettings settings) throws ReflectiveOperationException, UnknownHostException {
    InetAddress address = InetAddress.getByName(settings.host());
    X509TrustManager pinned = Java7Pinning.trustManagerForPin(settings.pin());
    XmppConnectionDescriptor<XMPPTCPConnection, XMPPTCPConnectionConfiguration, XMPPTCPConnectionConfiguration.Builder> tcp =
        XmppConnectionDescriptor.buildWith(XMPPTCPConnection.class, XMPPTCPConnectionConfiguration.class,
                XMPPTCPConnectionConfiguration.Builder.class)
            .withNickname(NICKNAME)
            .applyExtraConfiguration(builder -> builder
                .setHostAddress(address)
                .setPort(settings.port())
                .setCustomX509TrustManager(pinned))
            .build();
    XmppConnectionManager.addConnectionDescriptor(tcp); // replaces sinttest's own "tcp"
    for (String nickname : OTHER_DESCRIPTORS) XmppConnectionManager.removeConnectionDescriptor(nickname);
  }
}
