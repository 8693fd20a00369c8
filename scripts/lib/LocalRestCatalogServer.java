import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.Map;
import org.apache.iceberg.rest.RESTCatalogAdapter;
import org.apache.iceberg.rest.RESTCatalogServlet;
import org.apache.iceberg.util.PropertyUtil;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.gzip.GzipHandler;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;

/**
 * Iceberg's REST catalog test server (org.apache.iceberg.rest.RESTCatalogServer of
 * iceberg-open-api 1.10.1) listening on one address only. Upstream builds its Jetty server with
 * new Server(port), which binds every interface, and offers no setting for the host; it also sets
 * SO_REUSEPORT, so a second copy on the same port starts without error and shares the traffic.
 * This launcher builds the same backend catalog (from the CATALOG_* environment), the same
 * adapter and servlet, with a connector bound to REST_HOST (default 127.0.0.1) and no port reuse.
 * The package-private upstream pieces are reached by reflection: they are not a public API, which
 * is why the service script pins the version this was written against.
 */
public final class LocalRestCatalogServer {
  private LocalRestCatalogServer() {}

  public static void main(String[] args) throws Exception {
    String host = System.getenv().getOrDefault("REST_HOST", "127.0.0.1");

    Class<?> upstreamClass = Class.forName("org.apache.iceberg.rest.RESTCatalogServer");
    Constructor<?> upstreamCtor = upstreamClass.getDeclaredConstructor();
    upstreamCtor.setAccessible(true);
    Method initBackend = upstreamClass.getDeclaredMethod("initializeBackendCatalog");
    initBackend.setAccessible(true);
    Object context = initBackend.invoke(upstreamCtor.newInstance());

    Method configuration = context.getClass().getDeclaredMethod("configuration");
    configuration.setAccessible(true);
    @SuppressWarnings("unchecked")
    Map<String, String> config = (Map<String, String>) configuration.invoke(context);

    Class<?> adapterClass = Class.forName("org.apache.iceberg.rest.RESTServerCatalogAdapter");
    Constructor<?> adapterCtor = adapterClass.getDeclaredConstructor(context.getClass());
    adapterCtor.setAccessible(true);
    RESTCatalogAdapter adapter = (RESTCatalogAdapter) adapterCtor.newInstance(context);

    ServletContextHandler handler = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
    handler.addServlet(new ServletHolder(new RESTCatalogServlet(adapter)), "/*");
    handler.insertHandler(new GzipHandler());

    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost(host);
    connector.setPort(PropertyUtil.propertyAsInt(config, "rest.port", 8181));
    server.addConnector(connector);
    server.setHandler(handler);
    server.start();
    server.join();
  }
}
