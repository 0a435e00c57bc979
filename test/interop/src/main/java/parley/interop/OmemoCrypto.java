package parley.interop;

import java.security.Provider;
import java.security.Security;

import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.jivesoftware.smackx.omemo.signal.SignalOmemoService;

/**
 * Smack's OMEMO (XEP-0384) for sinttest's OMEMO tests: libsignal registered as the OmemoService, and
 * AES/GCM that takes an IvParameterSpec (OmemoAesCipher passes one; the JDK's own GCM insists on a
 * GCMParameterSpec). Only that one transformation comes from Bouncy Castle, ahead of the JDK's, so
 * everything else (TLS included) keeps the JDK's providers.
 */
final class OmemoCrypto {
  private OmemoCrypto() {}

  static void install() {
    Provider bouncyCastle = new BouncyCastleProvider();
    Security.addProvider(bouncyCastle);
    Provider.Service gcm = bouncyCastle.getService("Cipher", "AES/GCM/NoPadding");
    if (gcm == null) gcm = bouncyCastle.getService("Cipher", "GCM");
    final Provider.Service bcGcm = gcm;
    Provider onlyGcm = new Provider("ParleyOmemoGcm", "1.0", "AES/GCM/NoPadding from Bouncy Castle for Smack's OMEMO") {
      {
        putService(new Provider.Service(this, "Cipher", "AES/GCM/NoPadding", bcGcm.getClassName(), null, null) {
          @Override
          public Object newInstance(Object parameter) throws java.security.NoSuchAlgorithmException {
            return bcGcm.newInstance(parameter);
          }
        });
      }
    };
    Security.insertProviderAt(onlyGcm, 1);
    SignalOmemoService.acknowledgeLicense();
    SignalOmemoService.setup();
  }
}
