<?php
/**
 * Réglages → engage, single sign-on: the site's SSO secret (never shown again once saved),
 * the badge and the roles that get it. Part of the plugin's one option.
 *
 * @package engage-comments
 */

defined( 'ABSPATH' ) || exit;

/**
 * The single sign-on section and its fields, on the plugin's settings page.
 */
function engage_comments_register_sso_fields() {
	add_settings_section( 'engage_comments_sso', __( 'Single sign-on', 'engage-comments' ), 'engage_comments_sso_section', 'engage-comments' );
	add_settings_field( 'engage_comments_sso_secret', __( 'Single sign-on secret', 'engage-comments' ), 'engage_comments_field_sso_secret', 'engage-comments', 'engage_comments_sso', array( 'label_for' => 'engage_comments_sso_secret' ) );
	add_settings_field( 'engage_comments_badge', __( 'Badge', 'engage-comments' ), 'engage_comments_field_badge', 'engage-comments', 'engage_comments_sso', array( 'label_for' => 'engage_comments_badge' ) );
	add_settings_field( 'engage_comments_badge_roles', __( 'Roles with the badge', 'engage-comments' ), 'engage_comments_field_badge_roles', 'engage-comments', 'engage_comments_sso' );
}

/**
 * What single sign-on does, above its fields.
 */
function engage_comments_sso_section() {
	echo '<p>' . esc_html__( 'Logged-in WordPress users comment on engage under their WordPress name, with no account to create.', 'engage-comments' ) . '</p>';
}

/**
 * The secret's field: a password input that is always empty, and whether a secret is set.
 */
function engage_comments_field_sso_secret() {
	if ( defined( 'ENGAGE_SSO_SECRET' ) ) {
		engage_comments_constant_note( 'ENGAGE_SSO_SECRET' );
		return;
	}
	$set = '' !== engage_comments_stored()['sso_secret'];
	// The secret signs anyone in as anyone: it is written, never read back into a page.
	printf(
		'<input type="password" class="regular-text code" id="engage_comments_sso_secret" name="%1$s[sso_secret]" value="" autocomplete="new-password" spellcheck="false" aria-describedby="engage_comments_sso_secret_help">',
		esc_attr( ENGAGE_COMMENTS_OPTION )
	);
	if ( $set ) {
		echo '<p class="description" id="engage_comments_sso_secret_help">' . esc_html__( 'A secret is set. Leave this empty to keep it, or paste a new one to replace it.', 'engage-comments' ) . '</p>';
		printf(
			'<p><label><input type="checkbox" name="%1$s[sso_forget]" value="1"> %2$s</label></p>',
			esc_attr( ENGAGE_COMMENTS_OPTION ),
			esc_html__( 'Forget the secret (logged-in users then comment as guests)', 'engage-comments' )
		);
		return;
	}
	$key = '' !== engage_comments_site_key() ? engage_comments_site_key() : 'KEY';
	/* translators: %s: the command that prints the secret on the engage server. */
	echo '<p class="description" id="engage_comments_sso_secret_help">' . sprintf( esc_html__( 'The secret that %s prints on the engage server. Without one, everyone comments as a guest.', 'engage-comments' ), '<code>' . esc_html( 'engage site sso ' . $key . ' --rotate' ) . '</code>' ) . '</p>';
}

/**
 * The badge's text.
 */
function engage_comments_field_badge() {
	printf(
		'<input type="text" class="regular-text" id="engage_comments_badge" name="%1$s[badge]" value="%2$s" maxlength="%3$d" aria-describedby="engage_comments_badge_help">',
		esc_attr( ENGAGE_COMMENTS_OPTION ),
		esc_attr( engage_comments_badge() ),
		(int) ENGAGE_COMMENTS_MAX_BADGE
	);
	echo '<p class="description" id="engage_comments_badge_help">' . esc_html__( 'Shown beside the names of the users of the roles below, your subscribers for instance. Empty: no badge.', 'engage-comments' ) . '</p>';
}

/**
 * A checkbox per role of the site.
 */
function engage_comments_field_badge_roles() {
	$chosen = engage_comments_stored()['badge_roles'];
	echo '<fieldset><legend class="screen-reader-text">' . esc_html__( 'Roles with the badge', 'engage-comments' ) . '</legend>';
	foreach ( wp_roles()->get_names() as $role => $name ) {
		printf(
			'<label><input type="checkbox" name="%1$s[badge_roles][]" value="%2$s" %3$s> %4$s</label><br>',
			esc_attr( ENGAGE_COMMENTS_OPTION ),
			esc_attr( $role ),
			checked( in_array( (string) $role, $chosen, true ), true, false ),
			esc_html( translate_user_role( $name ) )
		);
	}
	echo '</fieldset>';
}

/**
 * The single sign-on part of the option: an empty secret keeps the stored one, "forget"
 * removes it, anything but a secret's characters is refused; the badge as plain text of at
 * most 40 characters; only the site's own roles.
 *
 * @param array $input The submitted values.
 * @return array{sso_secret: string, badge: ?string, badge_roles: string[]}
 */
function engage_comments_sanitize_sso( $input ) {
	$stored = engage_comments_stored();
	$secret = isset( $input['sso_secret'] ) ? trim( (string) $input['sso_secret'] ) : '';
	if ( ! empty( $input['sso_forget'] ) ) {
		$secret = '';
	} elseif ( '' === $secret ) {
		$secret = $stored['sso_secret'];
	} elseif ( ! preg_match( '/^[\x21-\x7e]{16,256}$/D', $secret ) ) {
		add_settings_error( ENGAGE_COMMENTS_OPTION, 'engage-sso-secret', __( 'The single sign-on secret was not changed: paste it exactly as engage printed it.', 'engage-comments' ) );
		$secret = $stored['sso_secret'];
	}
	$badge = $stored['badge'];
	if ( isset( $input['badge'] ) ) {
		$badge = engage_comments_cut( sanitize_text_field( (string) $input['badge'] ), ENGAGE_COMMENTS_MAX_BADGE );
	}
	$roles = isset( $input['badge_roles'] ) && is_array( $input['badge_roles'] ) ? array_map( 'strval', $input['badge_roles'] ) : array();
	return array(
		'sso_secret'  => $secret,
		'badge'       => $badge,
		'badge_roles' => array_values( array_intersect( array_keys( wp_roles()->get_names() ), $roles ) ),
	);
}
