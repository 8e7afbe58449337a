<?php
/**
 * Réglages → engage: the server's URL and the site key, single sign-on (its fields in
 * sso-settings.php), a connection test that says what to fix, and how to bring the existing
 * WordPress comments over.
 *
 * @package engage-comments
 */

defined( 'ABSPATH' ) || exit;

add_action( 'admin_menu', 'engage_comments_menu' );
add_action( 'admin_init', 'engage_comments_register_settings' );
add_action( 'admin_post_engage_comments_test', 'engage_comments_test_connection' );

/**
 * The page under Settings.
 */
function engage_comments_menu() {
	add_options_page( 'engage', 'engage', 'manage_options', 'engage-comments', 'engage_comments_settings_page' );
}

/**
 * The option, its sanitizer and its fields, through the Settings API.
 */
function engage_comments_register_settings() {
	register_setting(
		'engage_comments',
		ENGAGE_COMMENTS_OPTION,
		array(
			'type'              => 'array',
			'sanitize_callback' => 'engage_comments_sanitize',
			'default'           => array(),
		)
	);
	add_settings_section( 'engage_comments_server', __( 'Your engage server', 'engage-comments' ), '__return_false', 'engage-comments' );
	add_settings_field( 'engage_comments_url', __( 'engage URL', 'engage-comments' ), 'engage_comments_field_url', 'engage-comments', 'engage_comments_server', array( 'label_for' => 'engage_comments_url' ) );
	add_settings_field( 'engage_comments_site_key', __( 'Site key', 'engage-comments' ), 'engage_comments_field_site_key', 'engage-comments', 'engage_comments_server', array( 'label_for' => 'engage_comments_site_key' ) );
	add_settings_field( 'engage_comments_pages', __( 'Pages', 'engage-comments' ), 'engage_comments_field_pages', 'engage-comments', 'engage_comments_server' );
	engage_comments_register_sso_fields();
}

/**
 * Keep a valid http(s) URL and a key without spaces (and the single sign-on settings, see
 * includes/sso-settings.php).
 *
 * @param mixed $input The submitted values.
 * @return array
 */
function engage_comments_sanitize( $input ) {
	$input = is_array( $input ) ? $input : array();
	$url   = isset( $input['url'] ) ? esc_url_raw( trim( (string) $input['url'] ), array( 'http', 'https' ) ) : '';
	$key   = isset( $input['site_key'] ) ? sanitize_key( (string) $input['site_key'] ) : '';
	// A server's address, nothing more: a query, fragment or user info would turn the paths the
	// plugin appends into something else.
	$parts = '' === $url ? array() : wp_parse_url( $url );
	if ( $parts && ( isset( $parts['query'] ) || isset( $parts['fragment'] ) || isset( $parts['user'] ) ) ) {
		$url = '';
	}
	if ( isset( $input['url'] ) && '' !== trim( (string) $input['url'] ) && '' === $url ) {
		add_settings_error( ENGAGE_COMMENTS_OPTION, 'engage-url', __( 'The engage URL must start with https:// (or http:// on a local network).', 'engage-comments' ) );
		$url = engage_comments_stored()['url'];
	}
	// On a network, a site's admin may not write raw HTML: the URL decides what HTML goes into
	// the posts, so only those who may (super admins) change it.
	if ( is_multisite() && ! current_user_can( 'unfiltered_html' ) ) {
		$url = engage_comments_stored()['url'];
	}
	return array(
		'url'      => untrailingslashit( $url ),
		'site_key' => $key,
		'pages'    => ! empty( $input['pages'] ),
	) + engage_comments_sanitize_sso( $input );
}

/**
 * A note under a field that a wp-config.php constant overrides.
 *
 * @param string $constant The constant's name.
 */
function engage_comments_constant_note( $constant ) {
	/* translators: %s: a constant's name, such as ENGAGE_URL. */
	echo '<p class="description">' . sprintf( esc_html__( 'Set by %s in wp-config.php, which takes precedence.', 'engage-comments' ), '<code>' . esc_html( $constant ) . '</code>' ) . '</p>';
}

/**
 * A text field of the option, read-only when its wp-config.php constant is defined.
 *
 * @param string $name     The option's key: url or site_key.
 * @param string $constant The constant that overrides it.
 * @param string $type     The input's type.
 * @param string $help     The help text under it.
 */
function engage_comments_text_field( $name, $constant, $type, $help ) {
	$id     = 'engage_comments_' . $name;
	$stored = engage_comments_stored();
	printf(
		'<input type="%1$s" class="regular-text code" id="%2$s" name="%3$s[%4$s]" value="%5$s" %6$s aria-describedby="%2$s_help">',
		esc_attr( $type ),
		esc_attr( $id ),
		esc_attr( ENGAGE_COMMENTS_OPTION ),
		esc_attr( $name ),
		esc_attr( defined( $constant ) ? (string) constant( $constant ) : $stored[ $name ] ),
		defined( $constant ) ? 'readonly' : ''
	);
	echo '<p class="description" id="' . esc_attr( $id ) . '_help">' . esc_html( $help ) . '</p>';
	if ( defined( $constant ) ) {
		engage_comments_constant_note( $constant );
	}
}

/**
 * The URL field.
 */
function engage_comments_field_url() {
	engage_comments_text_field( 'url', 'ENGAGE_URL', 'url', __( 'The address of your engage server, where embed.js is served.', 'engage-comments' ) );
}

/**
 * The site key field.
 */
function engage_comments_field_site_key() {
	engage_comments_text_field( 'site_key', 'ENGAGE_SITE_KEY', 'text', __( 'The key given to engage site add (engage site list shows it).', 'engage-comments' ) );
}

/**
 * The pages option.
 */
function engage_comments_field_pages() {
	printf(
		'<label><input type="checkbox" name="%1$s[pages]" value="1" %2$s> %3$s</label>',
		esc_attr( ENGAGE_COMMENTS_OPTION ),
		checked( engage_comments_stored()['pages'], true, false ),
		esc_html__( 'Also on pages (single posts always)', 'engage-comments' )
	);
}

/**
 * The origin this WordPress site's pages are served from, as engage registers origins.
 *
 * @return string
 */
function engage_comments_origin() {
	$parts = wp_parse_url( home_url( '/' ) );
	$port  = isset( $parts['port'] ) ? ':' . $parts['port'] : '';
	return $parts['scheme'] . '://' . $parts['host'] . $port;
}

/**
 * Check the server answers, the key exists and this site's origin is registered; remember
 * the verdict for the page the admin goes back to.
 */
function engage_comments_test_connection() {
	if ( ! current_user_can( 'manage_options' ) ) {
		wp_die( esc_html__( 'You are not allowed to do this.', 'engage-comments' ), 403 );
	}
	check_admin_referer( 'engage_comments_test' );
	set_transient( 'engage_comments_test_' . get_current_user_id(), engage_comments_diagnose(), 5 * MINUTE_IN_SECONDS );
	wp_safe_redirect( admin_url( 'options-general.php?page=engage-comments&engage-tested=1' ) );
	exit;
}

/**
 * What the connection test found, in words that say what to fix.
 *
 * @return array{ok: bool, message: string}
 */
function engage_comments_diagnose() {
	$url = engage_comments_url();
	$key = engage_comments_site_key();
	if ( '' === $url || '' === $key ) {
		return array(
			'ok'      => false,
			'message' => __( 'Fill in the engage URL and the site key, save, then test again.', 'engage-comments' ),
		);
	}
	$health = engage_comments_get( '/healthz' );
	if ( is_wp_error( $health ) ) {
		return array(
			'ok'      => false,
			/* translators: 1: the engage URL, 2: the error. */
			'message' => sprintf( __( 'No answer from %1$s (%2$s): check the URL, and that this server may reach it.', 'engage-comments' ), $url, $health->get_error_message() ),
		);
	}
	if ( 200 !== wp_remote_retrieve_response_code( $health ) ) {
		return array(
			'ok'      => false,
			/* translators: %d: an HTTP status code. */
			'message' => sprintf( __( 'engage answers, but is not healthy (HTTP %d): see its logs.', 'engage-comments' ), wp_remote_retrieve_response_code( $health ) ),
		);
	}
	$origin = engage_comments_origin();
	$answer = engage_comments_get( '/api/v1/thread?' . engage_comments_query( array( '/' ) ), array( 'Origin' => $origin ) );
	$code   = is_wp_error( $answer ) ? 0 : wp_remote_retrieve_response_code( $answer );
	$error  = is_wp_error( $answer ) ? array() : (array) json_decode( wp_remote_retrieve_body( $answer ), true );
	$reason = isset( $error['error']['code'] ) ? $error['error']['code'] : '';
	if ( 'unknown_site' === $reason ) {
		return array(
			'ok'      => false,
			/* translators: %s: the site key. */
			'message' => sprintf( __( 'engage has no site "%s": check the key (engage site list), or create it with engage site add.', 'engage-comments' ), $key ),
		);
	}
	if ( 'forbidden_origin' === $reason ) {
		return array(
			'ok'      => false,
			/* translators: 1: this site's origin, 2: the command to run on the engage server. */
			'message' => sprintf( __( 'This site\'s origin, %1$s, is not registered for the key: on the engage server, run %2$s', 'engage-comments' ), $origin, 'engage site set ' . $key . ' origin=' . $origin ),
		);
	}
	if ( 200 !== $code ) {
		return array(
			'ok'      => false,
			/* translators: %d: an HTTP status code. */
			'message' => sprintf( __( 'engage could not answer a thread (HTTP %d): see its logs.', 'engage-comments' ), $code ),
		);
	}
	return array(
		'ok'      => true,
		/* translators: 1: the engage URL, 2: this site's origin. */
		'message' => sprintf( __( 'Connected: %1$s answers, and %2$s is registered for the key.', 'engage-comments' ), $url, $origin ),
	);
}

/**
 * The settings page.
 */
function engage_comments_settings_page() {
	if ( ! current_user_can( 'manage_options' ) ) {
		return;
	}
	$verdict = get_transient( 'engage_comments_test_' . get_current_user_id() );
	if ( isset( $_GET['engage-tested'] ) && is_array( $verdict ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- only shows a message.
		delete_transient( 'engage_comments_test_' . get_current_user_id() );
		printf(
			'<div class="notice notice-%1$s" role="status"><p>%2$s</p></div>',
			$verdict['ok'] ? 'success' : 'error',
			esc_html( $verdict['message'] )
		);
	}
	$key = '' !== engage_comments_site_key() ? engage_comments_site_key() : 'KEY';
	?>
	<div class="wrap">
		<h1><?php esc_html_e( 'engage comments', 'engage-comments' ); ?></h1>
		<p><?php esc_html_e( 'On the posts (and pages, if you choose), engage replaces the theme\'s comments: readers comment, react and share there, moderators work in engage, and the comments stay in the page\'s HTML for search engines.', 'engage-comments' ); ?></p>
		<form action="options.php" method="post">
			<?php
			settings_fields( 'engage_comments' );
			do_settings_sections( 'engage-comments' );
			submit_button();
			?>
		</form>

		<h2><?php esc_html_e( 'Test the connection', 'engage-comments' ); ?></h2>
		<p><?php esc_html_e( 'Checks that the engage server answers, that the key exists and that this site\'s address is registered for it.', 'engage-comments' ); ?></p>
		<form action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" method="post">
			<input type="hidden" name="action" value="engage_comments_test">
			<?php wp_nonce_field( 'engage_comments_test' ); ?>
			<?php submit_button( __( 'Test the connection', 'engage-comments' ), 'secondary', 'submit', false ); ?>
		</form>

		<h2><?php esc_html_e( 'Bring the existing comments over', 'engage-comments' ); ?></h2>
		<ol>
			<li><?php esc_html_e( 'In Tools → Export, choose "All content" (or "Posts") and download the export file.', 'engage-comments' ); ?></li>
			<li><?php esc_html_e( 'Copy it to the engage server and run:', 'engage-comments' ); ?>
				<pre><code>engage import wordpress export.xml --site <?php echo esc_html( $key ); ?> --dry-run
engage import wordpress export.xml --site <?php echo esc_html( $key ); ?></code></pre>
			</li>
			<li><?php esc_html_e( 'The first command only counts what would be imported; the second imports. Running it again adds nothing twice. WordPress keeps its own copy: deactivating the plugin brings the theme\'s comments back untouched.', 'engage-comments' ); ?></li>
		</ol>
	</div>
	<?php
}
