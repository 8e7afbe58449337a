<?php
/**
 * Single sign-on: the logged-in WordPress user, signed for engage as a short-lived JWT (HS256,
 * under the site's SSO secret) that the container hands to the widget. engage then shows the
 * user's comments under their WordPress name, with the badge of their role, and keeps no
 * account of its own. No token for visitors who are not logged in.
 *
 * @package engage-comments
 */

defined( 'ABSPATH' ) || exit;

const ENGAGE_COMMENTS_SSO_LIFETIME = 2 * HOUR_IN_SECONDS; // engage accepts up to 24 hours.
const ENGAGE_COMMENTS_MAX_NAME     = 64;  // engage's limits (engage/services/sso.py):
const ENGAGE_COMMENTS_MAX_BADGE    = 40;  // a longer claim fails the whole token.

/**
 * Base64url without padding, as JWTs write their parts.
 *
 * @param string $bytes The bytes.
 * @return string
 */
function engage_comments_base64url( $bytes ) {
	return rtrim( strtr( base64_encode( $bytes ), '+/', '-_' ), '=' ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- a JWT's encoding.
}

/**
 * Text cut to a number of characters (not bytes: an accent is never split), trimmed.
 *
 * @param string $text  The text.
 * @param int    $limit The most characters kept.
 * @return string
 */
function engage_comments_cut( $text, $limit ) {
	return trim( mb_substr( trim( (string) $text ), 0, $limit, 'UTF-8' ) );
}

/**
 * Whether engage takes the address as an e-mail: WordPress's is_email() and engage's own
 * pattern (engage/identity.py), so that an address one accepts never voids the token.
 *
 * @param string $email The address.
 * @return bool
 */
function engage_comments_sso_email_ok( $email ) {
	return strlen( $email ) <= 254 && is_email( $email )
		&& 1 === preg_match( '/^[^@\s<>()\[\]\\\\,;:"]+@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}$/D', $email );
}

/**
 * The claims engage reads from the token for a user: sub (the user's ID), name, email when
 * valid, badge when the user has one of the chosen roles, iat and exp.
 *
 * @param WP_User $user The user.
 * @param int     $now  The time of signing.
 * @return array|null Null when the user has no name engage could show.
 */
function engage_comments_sso_claims( $user, $now ) {
	// WordPress stores display names HTML-escaped (& as &amp;); engage escapes them itself.
	$name = engage_comments_cut( wp_specialchars_decode( (string) $user->display_name, ENT_QUOTES ), ENGAGE_COMMENTS_MAX_NAME );
	$name = '' === $name ? engage_comments_cut( $user->user_login, ENGAGE_COMMENTS_MAX_NAME ) : $name;
	if ( '' === $name ) {
		return null;
	}
	$claims = array(
		'sub'  => (string) $user->ID,
		'name' => $name,
	);
	$email = trim( (string) $user->user_email );
	if ( engage_comments_sso_email_ok( $email ) ) {
		$claims['email'] = $email;
	}
	$badge = engage_comments_cut( engage_comments_badge(), ENGAGE_COMMENTS_MAX_BADGE );
	if ( '' !== $badge && array_intersect( (array) $user->roles, engage_comments_stored()['badge_roles'] ) ) {
		$claims['badge'] = $badge;
	}
	$claims['iat'] = $now;
	$claims['exp'] = $now + ENGAGE_COMMENTS_SSO_LIFETIME;
	/**
	 * The claims signed for a user, e.g. a badge from a subscriptions plugin rather than a role.
	 *
	 * @param array   $claims The claims.
	 * @param WP_User $user   The user.
	 */
	return apply_filters( 'engage_comments_sso_claims', $claims, $user );
}

/**
 * The token signing the current user in on engage; empty when no one is logged in, the site
 * has no SSO secret, or the user has no name.
 *
 * @return string
 */
function engage_comments_sso_token() {
	$secret = engage_comments_sso_secret();
	if ( '' === $secret || ! is_user_logged_in() ) {
		return '';
	}
	$claims = engage_comments_sso_claims( wp_get_current_user(), time() );
	if ( ! is_array( $claims ) ) {
		return '';
	}
	$header  = engage_comments_base64url( wp_json_encode( array( 'alg' => 'HS256', 'typ' => 'JWT' ) ) );
	$payload = engage_comments_base64url( wp_json_encode( $claims, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES ) );
	$signed  = $header . '.' . $payload;
	return $signed . '.' . engage_comments_base64url( hash_hmac( 'sha256', $signed, $secret, true ) );
}
